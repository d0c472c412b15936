"""restore-sync's Lambda package: everything a function runs, and nothing else (template.yaml's CodeUri).

- `handlers/`: one thin adapter per function: parse the step's input, call one domain function, return data.
- `workflow/`: the domain of one execution: the request, the wait, the plan, the governance stack, verify, report.
- `settings/`: one module per setting and the registry of them; the settings document of a table.
- `history/`: the settings history: its store, the snapshots, the changes that trigger them.
- Beneath them all: `aws` (clients, table references, transient errors), `errors` (the Retry/Catch contract),
  `contracts` (the typed shapes the state machine passes between steps), `events` (the events it acts on),
  `schemas` (the JSON Schemas every start is checked against), `names`, `table`, `timestamps`.
"""
