// The target that compiles the headers every test includes (tests/CMakeLists.txt); no code.
