"""A helper module in the plugins folder: Airflow puts [core] plugins_folder on sys.path, so DAGs import it."""


def format_total(amount: float) -> str:
    return f"{amount:,.2f} EUR"
