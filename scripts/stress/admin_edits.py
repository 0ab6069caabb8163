from common import Result
def run(shoal, work, processes, budget, options):
    return Result("admin_edits (todo)")
