from .interfaces.entry import run

run()
