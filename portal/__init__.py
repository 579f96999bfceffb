"""Cloud Ops Portal: the Cloud team's internal portal for Rocket.Chat's cloud services."""

__version__ = "0.1.0"
