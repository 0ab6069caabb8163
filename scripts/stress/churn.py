from common import Result
def run(shoal, work, processes, budget, options):
    return Result("churn (todo)")
