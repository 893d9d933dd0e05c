"""keycouncil recovery package."""
