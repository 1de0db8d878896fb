"""Sesame's own Amazon SES v2 API emulator (moto covers too little of SES v2): models.py
holds the state, routes.py the Flask app (`create_app`)."""
