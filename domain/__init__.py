"""Pure domain rules of Komitmen: no I/O, no clock, no servers."""
