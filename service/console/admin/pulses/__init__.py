"""The admin console's pulses area: list, create and edit pulses with a live preview.

    routes.py   the pages (list, new, edit) and their forms
    form.py     reading the pulse form into the API's bodies, and its errors in words

Saving goes through the pulses slice's own service functions (create_pulse, update_pulse),
so the rules, the overlap check and the audit log are exactly the admin API's; the preview is
the API's POST /pulses/preview (`preview_draft`).
"""
