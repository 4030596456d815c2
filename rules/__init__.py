"""Pure business rules: field specs, statuses and transitions, SLA clocks, fee maths.

Standard library only; the current time is always an argument.
"""
