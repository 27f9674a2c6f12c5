"""CloudHSM helpers shared by its actions: catalog, prices, the network views and VSM placement."""
