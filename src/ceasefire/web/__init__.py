"""The web page: the mission's map, feed, incidents and hotline in a browser, served by
``ceasefire serve`` from the package (no CDN, no tile or font server).

The pages are thin: a server-rendered shell (Jinja2) and small JavaScript modules that read and
act through the same JSON API as every other client, with the same one access policy
(:mod:`ceasefire.publish.access`). A person signs in with their token, which the page keeps in
an HttpOnly, SameSite=Strict cookie (:data:`ceasefire.api.deps.SESSION_COOKIE`); changes also
carry the page's form token (:data:`ceasefire.api.deps.CSRF_HEADER`).
"""
