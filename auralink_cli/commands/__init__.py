"""One module per area of the API. Each exposes `register(app)`; main.COMMAND_MODULES lists them."""
