"""The ERP sandbox: a NetSuite REST record API subset (see `app.create_app`)."""
