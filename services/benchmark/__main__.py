"""Run the benchmark service alone: python -m services.benchmark."""

from services.benchmark.app import create_app
from services.benchmark.settings import BenchmarkSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(BenchmarkSettings(), create_app)
