"""The admin console's keys, widget tokens and audit log pages.

`keys.py` (API keys), `widgets.py` (widget tokens with embed snippets and a live preview) and
`audit_page.py` (the org's audit log, filtered, paged, as CSV) call the same functions as the
admin API (service/admin.py, analytics/widgets/admin_api.py, service/audit.py), with the signed-in
person as the audit log's actor. A secret (a key, a widget token) is shown once, in the body of
the answer to the form that made it: never in a URL, never in a log, never again.
"""
