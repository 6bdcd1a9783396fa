"""The duty console: a web application the platform's interventionists (and desks with
no system of their own) work from, talking to the hub as any partner does."""
