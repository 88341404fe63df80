# One image for every mvlab service: web (daphne), worker (site Celery tasks) and agent.
# docker-compose.yml chooses the command of each.

FROM node:22-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=mvlab.settings
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 nftables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/runtime.txt requirements/
RUN pip install --no-cache-dir -r requirements/runtime.txt
COPY . .
COPY --from=frontend /src/frontend/dist frontend/dist
RUN mkdir -p var && python manage.py collectstatic --noinput >/dev/null
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "mvlab.asgi:application"]
