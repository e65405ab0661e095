"""The shared FastAPI backend: console API, field-app API, customer portal and tracker."""
