"""The mvlab site: a Django project that stores, validates and deploys macvlan designs."""
