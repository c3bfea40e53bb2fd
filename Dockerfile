# The one image every Deployment, worker and migration Job runs (`idic serve|worker|migrate`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY idic ./idic
RUN python -m venv /opt/idic && /opt/idic/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --uid 10001 --user-group --no-create-home idic
COPY --from=build /opt/idic /opt/idic
ENV PATH=/opt/idic/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IDIC_ENV=production
USER 10001
EXPOSE 8000 9000
ENTRYPOINT []
CMD ["idic", "--help"]
