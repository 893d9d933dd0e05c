"""keycouncil dumps package."""
