"""`planrules serve`: the rulesets of a folder behind a JSON API over HTTP.

An ASGI app (Starlette) on uvicorn, in the `serve` extra. The modules, from the bottom up:
`settings` (the command's options, passed to every server process), `errors` (the JSON error
body), `logs` (JSON access logs), `metrics` (Prometheus), `jobs` (the work of one request,
done in an evaluation process), `pool` (those processes, each request's time limit),
`registry` (the rulesets loaded, reloaded as their files change), `openapi` (the document),
`routes` and `app` (the endpoints), and `run` (uvicorn, with one or more workers).
"""
