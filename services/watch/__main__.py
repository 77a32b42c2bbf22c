"""Run the watch service alone: python -m services.watch."""

from services.watch.app import create_app
from services.watch.settings import WatchSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(WatchSettings(), create_app)
