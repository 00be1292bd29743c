"""Canonical business objects, the shared language between the CRM and ERP mappings."""
