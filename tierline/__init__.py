"""tierline: grades every entity of a Parquet register into tiers by a declarative scorecard."""
