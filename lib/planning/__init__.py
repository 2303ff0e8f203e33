"""The Programa Anual de Trabajo planner: baseline, forecast, capacity, drafts, exports."""
