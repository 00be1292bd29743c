"""The CRM sandbox: a Salesforce REST API subset (see `app.create_app`)."""
