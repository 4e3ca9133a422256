module healthyseries

go 1.19
