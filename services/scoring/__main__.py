"""Run the scoring service alone: python -m services.scoring."""

from services.scoring.app import create_app
from services.scoring.settings import ScoringSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(ScoringSettings(), create_app)
