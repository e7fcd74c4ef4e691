"""
The product's shared kernel: small helpers every app may use, which import no app.

Validators of the values people type, the read-only view decorator and client address,
URL converters, the guarded admin search, the audited write helpers, the template
filters, and the database connection settings. The apps (grades at the core, then
reviews, pay, imports, exports, jobs) import from here; the project package gradesys
(settings, URLs, the navigation) sits on top of them all.
"""
