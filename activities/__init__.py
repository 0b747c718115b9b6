"""All I/O the workflows need: database records, email, documents."""
