"""The HTTP layer (Flask app factory, blueprints); see the endpoint issue."""
