"""The console: a local, read-only web page that draws executions of the deployed state machine as the Step
Functions console does (the workflow graph coloured by each state's history, each step's input and output) and
adds the report as a table.

`graph` turns a definition into a graph and DOT text for graphviz; `colouring` turns an execution's history
into what happened to each state; `server` serves the page and its JSON on 127.0.0.1. The first two are pure
functions, tested on the real definition and on recorded histories.
"""
