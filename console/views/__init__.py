"""Page handlers of the staff console, one module a part: sign-in and own password (auth), the queue
and its CSV export (queue), one inquiry and its actions (inquiry), the admin pages (admin). What they
share (rendering, flash messages, the page number) is in pages; the routes are in console.app."""
