"""The admin console: the pages an admin person uses to set up and run pulses without curl.

Same sign-in, sessions, CSRF and page conventions as the leaders' console (service/console/);
every admin page takes `provide_admin_session` (access.py), so a person without the admin flag
gets the same 404 page as for a page that does not exist. Each area keeps its routes, views and
templates together; the area's service calls go through the slices' public functions, exactly as
the admin API's handlers do, so a change made here is checked, audited and guarded the same way.
"""
