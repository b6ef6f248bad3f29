"""What keeps calls answering when a server is slow, cold or gone.

`readiness` waits for a server; `fallback` moves to the next provider; `guards`
translates server errors and checks streams; `transport` retries and keeps pools per loop.
"""
