module github.com/platformteam/delivery/app

go 1.26.0
