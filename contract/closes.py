"""The codes the site's websockets close with (a server may send only 1000 or 3000-4999: Autobahn,
under Daphne, refuses anything else and leaves the socket open)."""

BAD_REQUEST = 4400
FORBIDDEN = 4403
# the browser reconnects on these, with its cursor
INTERNAL_ERROR = 4500  # anything else went wrong
UNAVAILABLE = 4503  # the events cannot be read now (Redis unreachable)
