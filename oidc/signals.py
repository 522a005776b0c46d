"""The hook between a strong provider's sign-in and the second factor.

``strong_sign_in`` is sent right after ``login()`` when the person signed in through a provider
marked ``strong`` (Pro Santé Connect: CPS card or e-CPS). The second-factor app connects to it
and marks the session as verified, so that no second factor is asked after such a sign-in.
Arguments: ``request``, ``user``, ``provider`` (an ``oidc.providers.Provider``); sender: the
provider's key.
"""

from django.dispatch import Signal

strong_sign_in = Signal()
