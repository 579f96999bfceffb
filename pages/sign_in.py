"""Sign in: the only screen before signing in, and where an expired session is sent back to."""

from portal.ui.entry import render_sign_in

render_sign_in()
