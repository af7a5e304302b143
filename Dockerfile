# The app image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The code runs from /app (templates, static and manage.py live beside the packages).
    PYTHONPATH=/app

RUN useradd --create-home --uid 1000 tandem
WORKDIR /app

COPY . .
RUN pip install . \
    && DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    # Beat keeps its schedule state in .tandem/; uploaded imports go to .tandem/media/.
    && mkdir -p .tandem/media \
    && chown -R tandem:tandem .tandem

USER tandem
EXPOSE 8000
CMD ["gunicorn", "alignment.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
