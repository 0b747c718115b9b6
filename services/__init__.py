"""What the three front doors share: acting on and reading commitments, cycles, people.

The JSON API (`api/routes`), the pages (`api/pages`) and the CLI (`komitmen/cli`)
parse their input, call a function here, and render what it returns. Only this
package talks to the repository (`db`) and to Temporal on their behalf; it stands on
`domain`, `db` and `workflows`, never on a front door (`tests/test_layers.py`).
"""
