"""Organisations: authorities (lead and members) and social-economy providers."""
