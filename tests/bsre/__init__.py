"""The BSrE stand-in and the tests of services.tte against it."""
