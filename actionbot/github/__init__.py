"""The only package that knows GitHub's URLs and HTTP: client, app auth, redelivery."""
