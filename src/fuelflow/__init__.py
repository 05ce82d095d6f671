"""fuelflow: deploy, check and run the Fuel Flow AWS infrastructure."""

__version__ = "0.1.0"
