"""Links the API writes start with the configured public URL, never with the request's Host."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from services.settings import Settings
from tests.api.test_overdue_pages import first, links, seed, signed_in

PUBLIC = "https://komitmen.bpbd.example"


def test_overdue_links_start_with_the_public_url_whatever_host_is_named(db_url: str) -> None:
    seed(db_url)
    settings = Settings(database_url=db_url, public_url=PUBLIC + "/")
    client = TestClient(create_app(settings))
    headers = signed_in(client, "manajer") | {"Host": "evil.example"}
    response = client.get(first(7), headers=headers)
    assert response.status_code == 200, response.text
    following = links(response)["next"]
    assert following.startswith(f"{PUBLIC}/overdue?"), following
    assert "evil.example" not in response.headers["link"]
    # The link still leads to the next page.
    second = client.get(following, headers=headers)
    assert second.status_code == 200 and "prev" in links(second)
    assert links(second)["prev"].startswith(f"{PUBLIC}/overdue?")


def test_the_public_url_defaults_to_where_the_api_serves(db_url: str) -> None:
    seed(db_url)
    settings = Settings(database_url=db_url, public_url="", api_host="10.0.0.5", api_port=8123)
    assert settings.public_base_url == "http://10.0.0.5:8123"
    client = TestClient(create_app(settings))
    headers = signed_in(client, "manajer") | {"Host": "evil.example:666"}
    following = links(client.get(first(7), headers=headers))["next"]
    assert following.startswith("http://10.0.0.5:8123/overdue?"), following
