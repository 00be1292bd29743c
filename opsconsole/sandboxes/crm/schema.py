"""The CRM sandbox's objects and fields, a small subset of Salesforce's standard data model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_PREFIX = "005"
ORG_PREFIX = "00D"

SYSTEM_FIELDS = (
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
)
# Audit fields change on every write, so they are left out of an event's changedFields.
AUDIT_FIELDS = frozenset({"LastModifiedDate", "LastModifiedById", "SystemModstamp"})
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class FieldDef:
    """One field: its Salesforce type, limits and whether clients may write it."""

    name: str
    type: str
    length: int = 0
    required: bool = False
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: str | None = None
    picklist: tuple[str, ...] = ()
    default: Any = None
    precision: int = 0
    scale: int = 0

    @property
    def nillable(self) -> bool:
        """Whether the field may be null."""
        return not self.required and self.type not in {"id", "boolean"}

    def describe(self) -> dict[str, Any]:
        """Return this field's entry in a describe result."""
        return {
            "name": self.name,
            "label": self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale,
            "nillable": self.nillable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.name == "Id" or self.external_id,
            "createable": self.createable,
            "updateable": self.updateable,
            "custom": self.name.endswith("__c"),
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "picklistValues": [
                {
                    "value": value,
                    "label": value,
                    "active": True,
                    "defaultValue": value == self.default,
                }
                for value in self.picklist
            ],
            "defaultValueFormula": None,
        }


@dataclass(frozen=True)
class SObjectDef:
    """One object type: its name, key prefix and fields."""

    name: str
    key_prefix: str
    label: str
    fields: tuple[FieldDef, ...]
    by_lower: dict[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_lower", {f.name.lower(): f for f in self.fields})

    def field(self, name: str) -> FieldDef | None:
        """Return the field called `name`, matched case-insensitively like Salesforce."""
        return self.by_lower.get(name.lower())

    @property
    def custom(self) -> bool:
        """Whether this is a custom object."""
        return self.name.endswith("__c")


def _system_fields() -> tuple[FieldDef, ...]:
    audit = {"createable": False, "updateable": False}
    return (
        FieldDef("Id", "id", 18, **audit),
        FieldDef("IsDeleted", "boolean", **audit),
        FieldDef("CreatedDate", "datetime", **audit),
        FieldDef("CreatedById", "reference", 18, reference_to="User", **audit),
        FieldDef("LastModifiedDate", "datetime", **audit),
        FieldDef("LastModifiedById", "reference", 18, reference_to="User", **audit),
        FieldDef("SystemModstamp", "datetime", **audit),
    )


def _currency_iso_code() -> FieldDef:
    return FieldDef("CurrencyIsoCode", "picklist", 3, picklist=CURRENCIES, default=DEFAULT_CURRENCY)


def _money(name: str, **options: Any) -> FieldDef:
    return FieldDef(name, "currency", precision=18, scale=2, **options)


ACCOUNT = SObjectDef(
    "Account",
    "001",
    "Account",
    (
        *_system_fields(),
        FieldDef("Name", "string", 255, required=True),
        FieldDef("AccountNumber", "string", 40),
        FieldDef("Phone", "phone", 40),
        FieldDef("Website", "url", 255),
        FieldDef("BillingStreet", "textarea", 255),
        FieldDef("BillingCity", "string", 40),
        FieldDef("BillingState", "string", 80),
        FieldDef("BillingPostalCode", "string", 20),
        FieldDef("BillingCountry", "string", 80),
        _currency_iso_code(),
        FieldDef("ERP_Customer_Id__c", "string", 40, external_id=True, unique=True),
    ),
)

CONTACT = SObjectDef(
    "Contact",
    "003",
    "Contact",
    (
        *_system_fields(),
        FieldDef("LastName", "string", 80, required=True),
        FieldDef("FirstName", "string", 40),
        FieldDef("Email", "email", 80),
        FieldDef("Phone", "phone", 40),
        FieldDef("AccountId", "reference", 18, reference_to="Account"),
    ),
)

ORDER = SObjectDef(
    "Order",
    "801",
    "Order",
    (
        *_system_fields(),
        FieldDef("AccountId", "reference", 18, required=True, reference_to="Account"),
        FieldDef("EffectiveDate", "date", required=True),
        FieldDef("Status", "picklist", 40, picklist=("Draft", "Activated"), default="Draft"),
        _currency_iso_code(),
        FieldDef("Description", "textarea", 32000),
        FieldDef("OrderNumber", "string", 30, createable=False, updateable=False),
        _money("TotalAmount", createable=False, updateable=False),
        FieldDef("ERP_Sales_Order_Id__c", "string", 40, external_id=True, unique=True),
        FieldDef("ERP_Status__c", "string", 40),
    ),
)

ORDER_ITEM = SObjectDef(
    "OrderItem",
    "802",
    "Order Product",
    (
        *_system_fields(),
        FieldDef("OrderId", "reference", 18, required=True, reference_to="Order", updateable=False),
        FieldDef("Quantity", "double", required=True, precision=18, scale=2),
        _money("UnitPrice", required=True),
        FieldDef("Description", "string", 255),
        FieldDef("SKU__c", "string", 80),
        _money("TotalPrice", createable=False, updateable=False),
    ),
)

INVOICE = SObjectDef(
    "Invoice__c",
    "a01",
    "Invoice",
    (
        *_system_fields(),
        FieldDef("Name", "string", 80),
        FieldDef("Order__c", "reference", 18, reference_to="Order"),
        FieldDef("Account__c", "reference", 18, reference_to="Account"),
        FieldDef("ERP_Invoice_Id__c", "string", 40, external_id=True, unique=True),
        _money("Amount__c"),
        _currency_iso_code(),
        FieldDef("Status__c", "string", 40),
        FieldDef("InvoiceDate__c", "date"),
    ),
)

SOBJECTS: dict[str, SObjectDef] = {
    sobject.name: sobject for sobject in (ACCOUNT, CONTACT, ORDER, ORDER_ITEM, INVOICE)
}
_SOBJECTS_LOWER = {name.lower(): sobject for name, sobject in SOBJECTS.items()}
PREFIXES = {sobject.key_prefix: sobject.name for sobject in SOBJECTS.values()}


def find_sobject(name: str) -> SObjectDef | None:
    """Return the object type called `name`, matched case-insensitively."""
    return _SOBJECTS_LOWER.get(name.lower())


def describe(sobject: SObjectDef, api_version: str) -> dict[str, Any]:
    """Return the describe result of `sobject`, the subset of keys clients read."""
    return {
        **describe_global_entry(sobject, api_version),
        "fields": [definition.describe() for definition in sobject.fields],
        "childRelationships": [],
        "recordTypeInfos": [],
    }


def describe_global_entry(sobject: SObjectDef, api_version: str) -> dict[str, Any]:
    """Return the entry of `sobject` in the global describe list."""
    base = f"/services/data/v{api_version}/sobjects/{sobject.name}"
    return {
        "name": sobject.name,
        "label": sobject.label,
        "labelPlural": f"{sobject.label}s",
        "keyPrefix": sobject.key_prefix,
        "custom": sobject.custom,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "retrieveable": True,
        "searchable": True,
        "urls": {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        },
    }
