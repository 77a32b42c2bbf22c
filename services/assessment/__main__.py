"""Run the assessment service alone: python -m services.assessment."""

from services.assessment.app import create_app
from services.assessment.settings import AssessmentSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(AssessmentSettings(), create_app)
