"""The planted structure: theme shares per function, blind spots, and the spike.

``FUNCTION_SHARES`` gives the relative weight of each theme as the main subject of an item, per
function; an item gets 0-2 more themes drawn from the same weights (see ``_world.plan_themes``).
"""

from __future__ import annotations

# Relative weight of each theme as the main subject of an item, per function. Blind-spot themes
# have weight only in their own function; the generator leaks exactly one mention elsewhere.
FUNCTION_SHARES: dict[str, dict[str, float]] = {
    "Support": {
        "sso_saml_login_failures": 8, "csv_export_failures": 4, "dashboard_performance": 11,
        "alert_notification_issues": 10, "salesforce_integration_sync": 9, "api_rate_limits": 7,
        "permissions_roles_request": 5, "mobile_app_requests": 7, "billing_invoice_issues": 10,
        "pricing_too_expensive": 1, "churn_risk": 3, "praise_positive": 6,
        "data_residency_gdpr": 2, "dashboard_customization_request": 4,
        "competitor_comparison": 1,
    },
    "Success": {
        "onboarding_training_gaps": 8, "churn_risk": 10, "praise_positive": 8,
        "dashboard_performance": 7, "salesforce_integration_sync": 6, "pricing_too_expensive": 6,
        "alert_notification_issues": 6, "csv_export_failures": 3,
        "dashboard_customization_request": 6, "permissions_roles_request": 6,
        "billing_invoice_issues": 5, "api_rate_limits": 4, "mobile_app_requests": 4,
        "data_residency_gdpr": 3, "competitor_comparison": 4,
    },
    "Sales": {
        "competitor_discount": 9, "data_residency_gdpr": 9, "pricing_too_expensive": 11,
        "salesforce_integration_sync": 7, "permissions_roles_request": 7,
        "dashboard_customization_request": 6, "competitor_comparison": 10, "praise_positive": 6,
        "api_rate_limits": 5, "mobile_app_requests": 3, "dashboard_performance": 4,
        "churn_risk": 2, "billing_invoice_issues": 2, "alert_notification_issues": 3,
        "csv_export_failures": 1,
    },
    "Marketing": {
        "confusing_pricing_page": 9, "praise_positive": 15, "competitor_comparison": 9,
        "pricing_too_expensive": 8, "dashboard_performance": 6,
        "dashboard_customization_request": 8, "mobile_app_requests": 7,
        "alert_notification_issues": 5, "csv_export_failures": 3, "api_rate_limits": 3,
        "salesforce_integration_sync": 4, "churn_risk": 4, "billing_invoice_issues": 3,
        "permissions_roles_request": 4, "data_residency_gdpr": 2,
    },
    "Product": {
        "dashboard_customization_request": 14, "permissions_roles_request": 12,
        "mobile_app_requests": 10, "api_rate_limits": 9, "alert_notification_issues": 8,
        "dashboard_performance": 9, "csv_export_failures": 4, "salesforce_integration_sync": 6,
        "praise_positive": 8, "competitor_comparison": 5, "churn_risk": 2,
        "data_residency_gdpr": 3, "billing_invoice_issues": 2, "pricing_too_expensive": 3,
    },
}  # fmt: skip

BLIND_SPOTS = (
    ("sso_saml_login_failures", "Support"),
    ("competitor_discount", "Sales"),
    ("onboarding_training_gaps", "Success"),
    ("confusing_pricing_page", "Marketing"),
)

# The spike: CSV exports broke with release 4.2 (shipped Tuesday 2026-09-15, ISO week 38).
SPIKE = {
    "theme": "csv_export_failures",
    "week": "2026-W38",
    "release": "4.2",
    "release_date": "2026-09-15",
    "weight_factor": 6.0,
    "tail_factor": 1.5,
}

# Sentences for the spike week only, so the cause is visible in the text.
SPIKE_CUSTOMER = (
    "Since the 4.2 update none of our CSV exports work, they fail with error {error}.",
    "After this week's release (4.2?) every CSV export comes back empty.",
    "CSV export broke with the 4.2 release, the download never starts.",
    "Ever since release 4.2 the CSV export of {dashboard} times out after {secs}.",
    "Is anyone else seeing CSV exports fail after 4.2? We are completely blocked.",
)
SPIKE_INTERNAL = (
    "CSV exports broken since 4.2 for {account}, same stack trace as the others.",
    "Another 4.2 CSV export regression report, this time {account}.",
    "{account} also hit the CSV export failure after the 4.2 release, linking to {ticket}.",
)
