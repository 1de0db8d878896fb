"""Local stand-ins for every outside service sesame talks to.

Production code never imports this package: only the sandbox target and the tests do.
"""
