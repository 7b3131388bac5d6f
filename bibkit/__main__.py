from bibkit.launch import run

run()
